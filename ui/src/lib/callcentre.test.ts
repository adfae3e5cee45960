import { describe, expect, it } from 'vitest';
import { TOPICS, bandLabel, percent, topicForKey, topicLabel } from './callcentre';

describe('call centre labels', () => {
  it('lists the six topics in the order of the Rust enum, with their Japanese labels', () => {
    expect(TOPICS.map((t) => topicLabel(t, 'ja'))).toEqual([
      '予約変更',
      '送迎',
      '副反応の相談',
      '接種券の再発行',
      '会場・持ち物',
      'その他',
    ]);
  });

  it('picks a topic by digit key and nothing for other keys', () => {
    expect(topicForKey('1')).toBe('rebooking');
    expect(topicForKey('6')).toBe('other');
    expect(topicForKey('7')).toBeNull();
    expect(topicForKey('a')).toBeNull();
  });

  it('gives percentages with one decimal, and nothing of zero', () => {
    expect(percent(1, 3)).toBe('33.3');
    expect(percent(0, 0)).toBe('');
  });
});

describe('bandLabel', () => {
  it('prints an age band as the reports do, in years', () => {
    expect(bandLabel('sixty_five_to_seventy_four', 'ja')).toBe('65-74歳');
    expect(bandLabel('seventy_five_plus', 'en')).toBe('75+');
    expect(bandLabel('under12', 'ja')).toBe('0-11歳');
  });
});
