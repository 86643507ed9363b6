"""Feedback (phản ánh hiện trường): reports from residents, routed to agencies, followed to the end."""
