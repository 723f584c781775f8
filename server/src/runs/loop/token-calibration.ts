import { tokenizerFactor } from '../../providers/context-windows.js';

/** How far one observation below the ratio moves it down (an exponentially weighted mean); one above it moves it up at once. */
const WEIGHT = 0.3;
/** Requests estimated below this many tokens say too little about a tokenizer to learn from. */
const MIN_ESTIMATE = 200;
const MAX_RATIO = 4;

/**
 * Tokens per estimated token, per model: starts at its provider's tokenizer factor and learns from
 * the input tokens providers report for requests whose estimate is known, so the window holds for
 * texts the character estimate misjudges (code, other scripts). Never goes much below the
 * provider's factor (a prompt cache can make reported input look small), never above 4.
 */
export class TokenCalibration {
  private readonly ratios = new Map<string, number>();

  /** The model's tokens per estimated token now. */
  ratio(modelId: string): number {
    return this.ratios.get(modelId) ?? tokenizerFactor(modelId);
  }

  /** A request estimated at `estimated` tokens was counted `actual` input tokens by the provider. */
  observe(modelId: string, estimated: number, actual: number): void {
    if (estimated < MIN_ESTIMATE || actual <= 0) return;
    const floor = tokenizerFactor(modelId) * 0.8;
    const observed = actual / estimated;
    const current = this.ratio(modelId);
    // Up at once (the next request must fit), down slowly.
    const next = observed > current ? observed : (1 - WEIGHT) * current + WEIGHT * observed;
    this.ratios.set(modelId, Math.min(MAX_RATIO, Math.max(floor, next)));
  }
}
