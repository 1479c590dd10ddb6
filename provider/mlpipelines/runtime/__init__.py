"""What runs inside a task: staging, the script's process, outputs, and Run for scripts."""
