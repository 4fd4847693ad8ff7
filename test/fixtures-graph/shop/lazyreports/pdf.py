PDF = True
