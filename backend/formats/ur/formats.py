# Numbers as Urdu writes them in Pakistan (CLDR's ur): a decimal point, and thousands grouped
# by a comma (2,500.50).
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
