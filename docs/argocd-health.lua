-- Argo CD health check for secrets.nairi.ai/NairiSecret and secrets.nairi.ai/NairiSecretSet,
-- which report through the same conditions. Install it as argocd-cm keys
-- resource.customizations.health.secrets.nairi.ai_NairiSecret and
-- resource.customizations.health.secrets.nairi.ai_NairiSecretSet (see docs/install.md).
-- It reads the same signals as kstatus (Flux):
--   deleting                                  -> Progressing
--   status.observedGeneration < generation    -> Progressing (spec not handled yet)
--   Stalled=True (needs a human)              -> Degraded
--   Ready=True                                -> Healthy
--   Ready=False, reason Suspended             -> Suspended
--   Ready=False otherwise (retrying)          -> Progressing
local hs = { status = "Progressing", message = "Waiting for the operator to reconcile" }

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Deleting"
  return hs
end
if obj.status == nil then
  return hs
end
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to handle generation " .. generation
  return hs
end

local ready = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Stalled" and c.status == "True" then
      hs.status = "Degraded"
      hs.message = (c.reason or "Stalled") .. ": " .. (c.message or "")
      return hs
    end
    if c.type == "Ready" then
      ready = c
    end
  end
end

if ready == nil then
  return hs
end
local text = (ready.reason or "") .. ": " .. (ready.message or "")
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.reason == "Suspended" then
  hs.status = "Suspended"
end
hs.message = text
return hs
