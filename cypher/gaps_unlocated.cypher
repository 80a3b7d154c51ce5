// Unlocated households: no LOCATED_IN edge (h.homes, kept by set_home, is 0 or was never set).
// returns: household
MATCH (h:Household)
WHERE coalesce(h.homes, 0) = 0
RETURN h.id AS household
ORDER BY household
