import { displayNameWords, hashtagPrefix, likePrefix, parsePostsQuery, usernamePrefix } from './search-query';

describe('parsePostsQuery', () => {
  it('keeps words, phrases, exclusions and or for websearch_to_tsquery', () => {
    expect(parsePostsQuery('café "new song" -draft or album')).toEqual({ text: 'café "new song" -draft or album', tags: [], authors: [] });
  });

  it('pulls out hashtags and from: operators, lower-cased and de-duplicated', () => {
    expect(parsePostsQuery('#Art sketch from:@Ana_Lee #art #ПРИВЕТ')).toEqual({ text: 'sketch', tags: ['art', 'привет'], authors: ['ana_lee'] });
  });

  it('leaves a hashtag inside a quoted phrase in the phrase', () => {
    expect(parsePostsQuery('"#art lover"').tags).toEqual([]);
  });

  it('answers no text when nothing in it could be a word', () => {
    expect(parsePostsQuery('#art !!! -- ""').text).toBe('');
  });
});

describe('search helpers', () => {
  it('accept only what could start a username or a hashtag', () => {
    expect(usernamePrefix('@Ana_')).toBe('ana_');
    expect(usernamePrefix('ana lee')).toBeUndefined();
    expect(hashtagPrefix('#Café')).toBe('café');
    expect(hashtagPrefix('a-b')).toBeUndefined();
  });

  it('split display-name words, escaping LIKE wildcards and skipping punctuation', () => {
    expect(displayNameWords(' Zoë  - 5%_off ')).toEqual(['Zoë', '5\\%\\_off']);
  });

  it('escapes LIKE wildcards', () => {
    expect(likePrefix('a_b%c\\')).toBe('a\\_b\\%c\\\\%');
  });
});
