// The households with no LOCATED_IN edge at all (h.homes, kept by set_home, is 0 or was never set);
// those whose every edge is dated are picked by the caller per day from located_several.
// returns: household
MATCH (h:Household)
WHERE coalesce(h.homes, 0) = 0
RETURN h.id AS household
ORDER BY household
