CPU = 1
