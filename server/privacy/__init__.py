"""Records of who read a person's personal data, shown to that person."""
