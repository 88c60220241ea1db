"""Labs: realistic programs the course measures, profiles and fixes.

Each lab is a small package with a slow baseline and a faster version that returns
identical results, so a lesson can measure both the same way and report the ratio.
"""
