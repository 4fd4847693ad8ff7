INDEX = {}
