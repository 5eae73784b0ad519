"""AdFlowAI core: every business rule lives here, shared by the app, the API and the scheduler."""
