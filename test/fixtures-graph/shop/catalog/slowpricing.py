SLOW = True
