COMPAT = True
