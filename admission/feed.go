package admission

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"github.com/setupranali/setupranali/ratelimit"
)

// An OData refresh reads one feed page by page through @odata.nextLink (a 300k-row Power BI
// refresh is 60 pages of 5,000). Charging every page would spend a whole minute's budget on
// one refresh, so the first page is charged and each nextLink carries a signed, single-use
// token that lets exactly the next page through free. A token binds the key, the feed and the
// page offset, and expires; replaying it, or forging one, is charged like a new request.

// feedTokenTTL is how long a nextLink stays free to follow.
const feedTokenTTL = 15 * time.Minute

// maxSpentTokens bounds the memory of used tokens; past it the expired ones are swept, and if
// none has expired the request is simply charged.
const maxSpentTokens = 100_000

type feeds struct {
	secret []byte
	now    func() time.Time

	mu    sync.Mutex
	spent map[string]time.Time // token -> expiry
}

func newFeeds(secret []byte) *feeds {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	return &feeds{secret: secret, now: time.Now, spent: map[string]time.Time{}}
}

// FeedToken returns the token of the nextLink that continues caller's feed (feed names the
// entity set and its query options, without paging) at offset skip.
func (c *Controller) FeedToken(caller Caller, feed string, skip int64) string {
	exp := c.feeds.now().Add(feedTokenTTL).Unix()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(exp))
	mac := c.feeds.mac(caller.Principal.KeyID, feed, skip, exp)
	return base64.RawURLEncoding.EncodeToString(append(b[:], mac...))
}

// ChargeFeedPage charges an OData request like ChargeRequest, unless token is a valid unused
// token of the same key, feed and offset: then the page is free, and the token is spent.
func (c *Controller) ChargeFeedPage(ctx context.Context, caller Caller, feed string, skip int64, token string) (ratelimit.Decision, error) {
	if token != "" && c.feeds.spend(caller.Principal.KeyID, feed, skip, token) {
		return ratelimit.Decision{Allowed: true}, nil
	}
	return c.ChargeRequest(ctx, caller)
}

func (f *feeds) mac(key, feed string, skip, exp int64) []byte {
	h := hmac.New(sha256.New, f.secret)
	for _, part := range []string{key, feed, strconv.FormatInt(skip, 10), strconv.FormatInt(exp, 10)} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return h.Sum(nil)[:16]
}

// spend reports whether token is valid for (key, feed, skip) and was not used before, and
// marks it used.
func (f *feeds) spend(key, feed string, skip int64, token string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 8+16 {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(raw[:8]))
	now := f.now()
	if now.Unix() > exp || !hmac.Equal(raw[8:], f.mac(key, feed, skip, exp)) {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, used := f.spent[token]; used {
		return false
	}
	if len(f.spent) >= maxSpentTokens {
		for t, e := range f.spent {
			if now.Unix() > e.Unix() {
				delete(f.spent, t)
			}
		}
		if len(f.spent) >= maxSpentTokens {
			return false
		}
	}
	f.spent[token] = time.Unix(exp, 0)
	return true
}
