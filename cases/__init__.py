"""The domain: residents, the org tree, cases and their events, the escalation policy, opinions.

Imports nothing of bot/, handlers/, workers/ or admin/.
"""
