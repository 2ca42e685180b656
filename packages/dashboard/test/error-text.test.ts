import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/http.js';
import { errorText } from '../src/app/errors.js';
import { type Locale, type MessageKey, type Params, translate } from '../src/i18n/translate.js';

const i18nIn = (locale: Locale) => ({
  t: (key: MessageKey, params?: Params) => translate(locale, key, params),
});

describe('error text', () => {
  it('says in the viewer’s language what a seat move, a retention floor or a wrong password was', () => {
    const zh = i18nIn('zh-CN');
    const rows = 'row 3: no site "mars"';
    expect(errorText(zh, new ApiError(422, 'seat_move_invalid', rows))).toBe(`未移动任何座席：${rows}`);
    expect(errorText(zh, new ApiError(422, 'seat_team_elsewhere', 'The team belongs…'))).toBe(
      '该团队属于座席所在站点以外的站点。',
    );
    expect(errorText(i18nIn('en'), new ApiError(403, 'credentials_wrong', 'x'))).toBe(
      'The current password or the authenticator code is wrong.',
    );
  });
});
