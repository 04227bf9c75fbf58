import request from 'supertest';
import { OAuthProvider } from '../support/oauth-provider';
describe('scratch', () => {
  it('loads', async () => {
    const p = await OAuthProvider.start();
    console.log(p.url);
    await p.nextUserinfo({ sub: 'x', email: 'a@b.c' });
    const r = await request(p.url).get('/userinfo').set('authorization', 'Bearer z');
    console.log(r.status, r.body, await p.userinfoAuthorizations());
    await p.stop();
  });
});
