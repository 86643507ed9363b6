"""The operations centre (IOC): a live feed of what happens, and feedback statistics by area and category."""
