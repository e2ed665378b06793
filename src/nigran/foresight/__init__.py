"""The foresight register: scenarios, their signposts, and when each signpost was crossed."""
