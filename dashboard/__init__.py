"""The Streamlit dashboard of mlservice: it talks to the service through the REST API only."""
