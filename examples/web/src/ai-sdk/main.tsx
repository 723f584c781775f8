import { createRoot } from 'react-dom/client';
import { AiSdkApp } from './app';
import './ai-sdk.css';

// No StrictMode here: its double mount in development would resume the stream twice (harmless, but noisy).
createRoot(document.getElementById('root')!).render(<AiSdkApp />);
