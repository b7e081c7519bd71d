"""How the web workers meet the machine: glibc's allocator (`allocator`) and large request bodies
read straight off gunicorn's socket (`body`)."""
