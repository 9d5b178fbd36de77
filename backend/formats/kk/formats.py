# Numbers as Kazakh writes them (CLDR's kk): a decimal comma, and thousands grouped by a
# no-break space, so that 2 500,50 never splits across lines.
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
