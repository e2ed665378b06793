"""The policy register: frameworks, sections, objectives, indicators, actions, milestones and owners."""
