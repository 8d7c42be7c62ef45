from hypothesis import settings

# Property tests run on a loaded 2-core CI machine: no per-example deadline.
settings.register_profile("toolcall", deadline=None)
settings.load_profile("toolcall")
