"""Coordination (charter art. 2): the head's dashboard, read across cases, plans and meetings."""
