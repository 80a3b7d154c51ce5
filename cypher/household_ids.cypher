// Every household.
// returns: household
MATCH (h:Household)
RETURN h.id AS household
