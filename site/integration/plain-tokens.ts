// A Shiki transformer: tokens drawn in the code block's own colour lose their <span>. They
// inherit that colour from <pre> anyway, and on the longest lesson they were about 40 % of the
// page's elements: fewer elements, less for a phone to lay out and less HTML to send.
import type { ShikiTransformer } from 'shiki';
import type { Element, ElementContent } from 'hast';

const colourOf = (style: unknown): string | undefined => (typeof style === 'string' ? /(?:^|;)\s*color:\s*([^;]+)/i.exec(style)?.[1]?.trim().toLowerCase() : undefined);

export const plainTokens: ShikiTransformer = {
  name: 'hotpot:plain-tokens',
  pre(pre) {
    const fg = colourOf(pre.properties.style);
    if (!fg) return;
    const code = pre.children.find((c): c is Element => c.type === 'element' && c.tagName === 'code');
    for (const line of code?.children ?? []) {
      if (line.type !== 'element') continue;
      line.children = line.children.flatMap((token): ElementContent[] =>
        token.type === 'element' && token.tagName === 'span' && Object.keys(token.properties).length === 1 && colourOf(token.properties.style) === fg ? token.children : [token],
      );
    }
  },
};
