# %% [markdown]
# # 04 placeholder

# %%
print(1)
