import Markdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';

const rehypePlugins = [rehypeHighlight];

/**
 * A message's text as Markdown, code blocks highlighted (rehype-highlight). HTML in the text is
 * shown as text, never made into elements (react-markdown escapes it: no rehype-raw here), and
 * link URLs pass react-markdown's default filter (no `javascript:`).
 */
export function MarkdownText({ text }: { text: string }) {
  return (
    <div className="text markdown" data-testid="message-text">
      <Markdown rehypePlugins={rehypePlugins}>{text}</Markdown>
    </div>
  );
}
