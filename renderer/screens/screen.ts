// A screen is built once when the kiosk switches to it, updated on every model change while shown, and
// disposed (timers stopped) when the kiosk leaves it.
import type { Actions, Model } from '../model.ts';

export interface ScreenView {
  readonly element: HTMLElement;
  update(model: Model): void;
  dispose(): void;
}

export type ScreenFactory = (actions: Actions) => ScreenView;

/** A screen with fixed content. */
export function staticScreen(element: HTMLElement): ScreenView {
  return { element, update: () => {}, dispose: () => {} };
}
