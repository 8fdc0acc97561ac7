print("provenant")
