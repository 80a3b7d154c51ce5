// The households with a dated LOCATED_IN edge, as one list: those whose h.home an older layout of the
// store set (it set h.home for a household with one LOCATED_IN edge, dated or not), to be set again by
// set_home once when the store is first opened by this version.
// returns: households [household id]
MATCH (h:Household)-[r:LOCATED_IN]->(:Area)
WHERE r.since <> '' OR r.until IS NOT NULL
RETURN collect(DISTINCT h.id) AS households
