"""The public portal: what citizens see at / and /ur/, computed as the anonymous public reader."""
