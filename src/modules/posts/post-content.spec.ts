import { extractEntities, renderContent } from './post-content';

const context = { publicUrl: 'http://localhost:3000', users: new Map([['alice', 'Alice']]) };

describe(renderContent.name, () => {
  it('escapes everything the user typed', () => {
    const html = renderContent('<script>alert("x")</script> & <img src=x onerror=alert(1)>', context);
    expect(html).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;</p>');
  });

  it('links URLs, mentions of existing users and hashtags', () => {
    const html = renderContent('hi @alice and @nobody, see https://example.org/a?b=1&c=2 #Art', context);
    expect(html).toContain('<a href="http://localhost:3000/@Alice" class="mention">@Alice</a>');
    expect(html).toContain('@nobody');
    expect(html).not.toContain('/@nobody');
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">');
    expect(html).toContain('<a href="http://localhost:3000/tags/art" class="hashtag">#Art</a>');
  });

  it('never turns javascript: into a link and keeps line breaks', () => {
    const html = renderContent('javascript:alert(1)\nnext', context);
    expect(html).not.toContain('<a');
    expect(html).toBe('<p>javascript:alert(1)<br>next</p>');
  });

  it('does not treat emails or mid-word signs as mentions or tags', () => {
    expect(extractEntities('mail me at bob@example.org or a#b')).toEqual({ mentions: [], hashtags: [] });
  });
});

describe(extractEntities.name, () => {
  it('lower-cases and de-duplicates', () => {
    expect(extractEntities('@Bob @bob #Tag #tag #café')).toEqual({ mentions: ['bob'], hashtags: ['tag', 'café'] });
  });
});
