import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('refuses a default model that is not provider/model, naming the setting; empty is unset', () => {
    expect(() => loadConfig({ THREADLINE_MODEL: 'nope' })).toThrow(/^invalid configuration:\n {2}THREADLINE_MODEL: a model is provider\/model/);
    expect(loadConfig({ THREADLINE_MODEL: '' }).defaultModel).toBe('local/echo');
    expect(loadConfig({ THREADLINE_MODEL: 'ollama/llama3.2' }).defaultModel).toBe('ollama/llama3.2');
  });
});
