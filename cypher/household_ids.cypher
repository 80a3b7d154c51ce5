// Every household, as one list.
// returns: households [household id]
MATCH (h:Household)
RETURN collect(h.id) AS households
