// Households located in more than one area (h.homes, kept by set_home).
// returns: household
MATCH (h:Household)
WHERE h.homes > 1
RETURN h.id AS household
