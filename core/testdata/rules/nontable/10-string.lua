return "allow everything"
