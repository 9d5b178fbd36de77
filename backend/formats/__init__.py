"""Django's format modules (``FORMAT_MODULE_PATH``) for the languages Django ships none for:
Kazakh and Urdu. Each holds what Django would otherwise take from the English-like defaults of
the settings; the rest (dates) still comes from there."""
