import { describe, expect, it } from 'vitest';
import { TokenCalibration } from '../runs/loop/token-calibration.js';
import { contextWindowOf, parseContextWindows, tokenizerFactor, UNKNOWN_MODEL_CONTEXT_TOKENS } from './context-windows.js';

describe('context windows', () => {
  it('knows model families, takes overrides per model and per provider, and leaves the built-in model unlimited', () => {
    expect(contextWindowOf('anthropic/claude-sonnet-4-5')).toBe(200_000);
    expect(contextWindowOf('openai/gpt-4o-mini')).toBe(128_000);
    expect(contextWindowOf('openai/gpt-5.4-mini')).toBe(400_000);
    expect(contextWindowOf('ollama/llama3.2:latest')).toBe(4_096);
    expect(contextWindowOf('openai/some-local-model')).toBe(UNKNOWN_MODEL_CONTEXT_TOKENS);
    expect(contextWindowOf('local/echo')).toBeUndefined();
    const overrides = parseContextWindows('ollama/*=32768, openai/gpt-4o=64000');
    expect(contextWindowOf('ollama/qwen3:8b', overrides)).toBe(32_768);
    expect(contextWindowOf('openai/gpt-4o', overrides)).toBe(64_000);
    expect(contextWindowOf('openai/gpt-4o-mini', overrides)).toBe(128_000);
    expect(() => parseContextWindows('gpt-4o=1000')).toThrow('"gpt-4o=1000" is not provider/model=tokens');
  });

  it('calibration rises at once to what a provider counts, falls slowly, and never far below its tokenizer', () => {
    const calibration = new TokenCalibration();
    expect(calibration.ratio('anthropic/claude-test')).toBe(tokenizerFactor('anthropic/claude-test'));
    calibration.observe('openai/gpt-test', 1_000, 1_500);
    expect(calibration.ratio('openai/gpt-test')).toBe(1.5);
    calibration.observe('openai/gpt-test', 1_000, 1_000);
    expect(calibration.ratio('openai/gpt-test')).toBeCloseTo(1.35);
    for (let index = 0; index < 50; index++) calibration.observe('openai/gpt-test', 1_000, 100);
    expect(calibration.ratio('openai/gpt-test')).toBeCloseTo(0.8);
    // Too small a request says nothing.
    calibration.observe('openai/other', 50, 500);
    expect(calibration.ratio('openai/other')).toBe(1);
  });
});
