UNUSED = True
