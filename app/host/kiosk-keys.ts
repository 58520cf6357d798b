// Keys a customer must not be able to use on the kiosk window: reload, developer tools, closing, printing,
// zoom, navigation. Pure, so it is tested under Node; main/ applies it in 'before-input-event'.
export interface KeyInput {
  readonly type: string;
  readonly key: string;
  readonly control: boolean;
  readonly meta: boolean;
  readonly alt: boolean;
  readonly shift: boolean;
}

const ALWAYS_BLOCKED = new Set([
  'F1',
  'F3',
  'F5',
  'F6',
  'F7',
  'F11',
  'F12',
  'BrowserBack',
  'BrowserForward',
  'BrowserRefresh',
]);
const WITH_CONTROL = new Set([
  'r',
  'w',
  'q',
  'p',
  'n',
  't',
  'o',
  's',
  'f',
  'g',
  'h',
  'j',
  'l',
  'u',
  '+',
  '-',
  '=',
  '0',
]);

export function isBlockedKioskKey(input: KeyInput): boolean {
  if (input.type !== 'keyDown') return false;
  if (ALWAYS_BLOCKED.has(input.key)) return true;
  const key = input.key.toLowerCase();
  if (
    (input.control || input.meta) &&
    (WITH_CONTROL.has(key) || (input.shift && (key === 'i' || key === 'j' || key === 'c')))
  ) {
    return true;
  }
  if (input.alt && (key === 'f4' || key === 'arrowleft' || key === 'arrowright' || key === 'home'))
    return true;
  return false;
}
