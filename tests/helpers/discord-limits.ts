/**
 * Discord's limits on what a message, a button or a thread may hold, checked as Discord checks
 * them: a failing body gets 400 with code 50035 "Invalid Form Body" and an `errors` tree naming
 * each bad field, e.g. `{ content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: ... }] } }`.
 * See https://discord.com/developers/docs/resources/message#create-message and
 * https://discord.com/developers/docs/components/reference.
 */

/** One error on a field, as Discord words it. */
export interface FieldError {
  code: string;
  message: string;
}

/** Discord's nested `errors` object of a 50035 answer. */
export interface FormErrors {
  [key: string]: FormErrors | FieldError[];
}

type Body = Record<string, unknown>;

/** The limits themselves. */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooter: 2048,
  embedAuthor: 256,
  embedTotal: 6000,
  actionRows: 5,
  rowComponents: 5,
  customId: 100,
  buttonLabel: 80,
  selectOptions: 25,
  threadName: 100,
  allowedMentionIds: 100,
} as const;

const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);
const PARSE_CHOICES = new Set(['roles', 'users', 'everyone']);
const ARCHIVE_DURATIONS = new Set([60, 1440, 4320, 10080]);

/** Adds an error at a path of the tree (creating the branches). */
export function addError(tree: FormErrors, path: (string | number)[], code: string, message: string): void {
  let node = tree;
  for (const key of path) node = (node[String(key)] ??= {}) as FormErrors;
  ((node['_errors'] ??= []) as FieldError[]).push({ code, message });
}

/** `content[BASE_TYPE_MAX_LENGTH]: Must be ...` lines, as discord.js prints them. */
export function flattenErrors(tree: FormErrors, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    if (key === '_errors') for (const e of value as FieldError[]) lines.push(`${prefix || '(body)'}[${e.code}]: ${e.message}`);
    else lines.push(...flattenErrors(value as FormErrors, prefix ? (/^\d+$/.test(key) ? `${prefix}[${key}]` : `${prefix}.${key}`) : key));
  }
  return lines;
}

const isEmpty = (tree: FormErrors) => Object.keys(tree).length === 0;
const length = (value: unknown) => (typeof value === 'string' ? value.length : 0);
const list = (value: unknown): Body[] => (Array.isArray(value) ? (value as Body[]) : []);

function maxLength(tree: FormErrors, path: (string | number)[], value: unknown, max: number): void {
  if (length(value) > max) addError(tree, path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
}

function embedErrors(embeds: unknown, tree: FormErrors): void {
  const all = list(embeds);
  if (all.length > LIMITS.embeds) addError(tree, ['embeds'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  let total = 0;
  all.forEach((embed, i) => {
    const text = (path: (string | number)[], value: unknown, max: number) => {
      total += length(value);
      maxLength(tree, ['embeds', i, ...path], value, max);
    };
    text(['title'], embed['title'], LIMITS.embedTitle);
    text(['description'], embed['description'], LIMITS.embedDescription);
    text(['footer', 'text'], (embed['footer'] as Body | undefined)?.['text'], LIMITS.embedFooter);
    text(['author', 'name'], (embed['author'] as Body | undefined)?.['name'], LIMITS.embedAuthor);
    const fields = list(embed['fields']);
    if (fields.length > LIMITS.embedFields) addError(tree, ['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embedFields} or fewer in length.`);
    fields.forEach((field, j) => {
      for (const key of ['name', 'value'] as const) {
        if (!length(field[key])) addError(tree, ['embeds', i, 'fields', j, key], 'BASE_TYPE_REQUIRED', 'This field is required');
      }
      text(['fields', j, 'name'], field['name'], LIMITS.embedFieldName);
      text(['fields', j, 'value'], field['value'], LIMITS.embedFieldValue);
    });
  });
  if (total > LIMITS.embedTotal) addError(tree, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${LIMITS.embedTotal}`);
}

function componentErrors(rows: unknown, tree: FormErrors): void {
  const all = list(rows);
  if (all.length > LIMITS.actionRows) addError(tree, ['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.actionRows} or fewer in length.`);
  const seen = new Set<string>();
  all.forEach((row, i) => {
    if (row['type'] !== 1) {
      addError(tree, ['components', i, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
      return;
    }
    const items = list(row['components']);
    if (items.length < 1 || items.length > LIMITS.rowComponents) {
      addError(tree, ['components', i, 'components'], 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.rowComponents} in length.`);
    }
    if (items.some((c) => SELECT_TYPES.has(Number(c['type']))) && items.length > 1) {
      addError(tree, ['components', i, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
    }
    items.forEach((c, j) => {
      const at = ['components', i, 'components', j];
      const customId = () => {
        const id = c['custom_id'];
        if (typeof id !== 'string' || id.length < 1 || id.length > LIMITS.customId) {
          addError(tree, [...at, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.customId} in length.`);
        } else if (seen.has(id)) {
          addError(tree, [...at, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
        } else {
          seen.add(id);
        }
      };
      if (c['type'] === 2) {
        if (c['style'] === 5) {
          if (!length(c['url'])) addError(tree, [...at, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
          if (c['custom_id'] !== undefined) addError(tree, [...at, 'custom_id'], 'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED', 'A link button cannot have a custom id');
        } else if (c['style'] !== 6) {
          customId();
        }
        maxLength(tree, [...at, 'label'], c['label'], LIMITS.buttonLabel);
        if (!length(c['label']) && !c['emoji'] && c['style'] !== 6) addError(tree, [...at], 'BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED', 'A button needs a label or an emoji');
      } else if (SELECT_TYPES.has(Number(c['type']))) {
        customId();
        if (c['type'] === 3) {
          const options = list(c['options']);
          if (options.length < 1 || options.length > LIMITS.selectOptions) addError(tree, [...at, 'options'], 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.selectOptions} in length.`);
        }
      } else {
        addError(tree, [...at, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).');
      }
    });
  });
}

function allowedMentionErrors(value: unknown, tree: FormErrors): void {
  if (value === undefined || value === null) return;
  const am = value as Body;
  const parse = am['parse'];
  if (Array.isArray(parse)) {
    (parse as unknown[]).forEach((p, k) => {
      if (!PARSE_CHOICES.has(String(p))) addError(tree, ['allowed_mentions', 'parse', k], 'BASE_TYPE_CHOICES', "Value must be one of {'roles', 'users', 'everyone'}.");
    });
  }
  for (const kind of ['users', 'roles'] as const) {
    const ids = list(am[kind]);
    if (ids.length > LIMITS.allowedMentionIds) addError(tree, ['allowed_mentions', kind], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.allowedMentionIds} or fewer in length.`);
    if (ids.length && Array.isArray(parse) && (parse as unknown[]).includes(kind)) {
      addError(tree, ['allowed_mentions'], 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE', `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`);
    }
  }
}

/** The form errors of a message body (create or edit), or null when Discord would accept it. */
export function messageErrors(body: Body): FormErrors | null {
  const tree: FormErrors = {};
  maxLength(tree, ['content'], body['content'], LIMITS.content);
  embedErrors(body['embeds'], tree);
  componentErrors(body['components'], tree);
  allowedMentionErrors(body['allowed_mentions'], tree);
  return isEmpty(tree) ? null : tree;
}

/** True when a message (a create body, or a message after an edit) would show nothing: Discord's 50006. */
export function isEmptyMessage(message: Body): boolean {
  return (
    !String(message['content'] ?? '').trim() &&
    !list(message['embeds']).length &&
    !list(message['components']).length &&
    !list(message['attachments']).length &&
    !list(message['sticker_ids']).length &&
    !message['poll']
  );
}

/** The form errors of a start-thread body, or null. */
export function threadErrors(body: Body): FormErrors | null {
  const tree: FormErrors = {};
  const name = body['name'];
  if (typeof name !== 'string' || name.length < 1 || name.length > LIMITS.threadName) {
    addError(tree, ['name'], 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.threadName} in length.`);
  }
  const archive = body['auto_archive_duration'];
  if (archive !== undefined && !ARCHIVE_DURATIONS.has(Number(archive))) {
    addError(tree, ['auto_archive_duration'], 'BASE_TYPE_CHOICES', 'Value must be one of {60, 1440, 4320, 10080}.');
  }
  return isEmpty(tree) ? null : tree;
}
