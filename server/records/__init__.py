"""E-government records: dossiers that the provincial integration platform (LGSP) reports on."""
