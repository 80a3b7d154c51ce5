// Fragment: the member {var} is available: its record is not marked unavailable, and the what-if does
// not suppose it unreachable. Included in a statement as {available:VAR}.
// $unavailable: [member id] (what-if)
coalesce({var}.status, '') <> 'unavailable' AND NOT {var}.id IN $unavailable
