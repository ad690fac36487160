"""Text helpers shared by generators and filters: what a text is made of, apart from its words."""
