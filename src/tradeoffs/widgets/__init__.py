"""Interactive trade-off panels (ipywidgets), one module per panel family.

Each panel keeps its measurement in pure, unit-tested functions and only draws
what those functions return: the numbers a learner sees are measured on their
own machine, never made up.
"""
