package rediscache

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/setupranali/setupranali/engine"
)

// DefaultTimeout bounds each Redis call unless the configuration says otherwise.
const DefaultTimeout = 50 * time.Millisecond

// DefaultPrefix starts every key the gateway writes.
const DefaultPrefix = "setupranali:"

// Config configures a Client.
type Config struct {
	// URL is REDIS_URL (see the package documentation for its forms).
	URL string
	// Timeout bounds each call; default DefaultTimeout.
	Timeout time.Duration
	// Prefix starts every key; default DefaultPrefix. Tests use a unique one per run.
	Prefix string
}

// Client is a connection pool to Redis (single server, Sentinel-managed or Cluster) that stores
// cached results. It connects lazily and reconnects by itself.
type Client struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	kind    string
	addrs   []string
}

var _ engine.CacheStore = (*Client)(nil)

// Open parses cfg.URL and returns a client; it does not connect (see Ping).
func Open(cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	c := &Client{prefix: cfg.Prefix, timeout: cfg.Timeout}
	scheme, _, _ := strings.Cut(cfg.URL, "://")
	switch scheme {
	case "redis", "rediss":
		o, err := redis.ParseURL(cfg.URL)
		if err != nil {
			return nil, urlError(err)
		}
		c.tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries)
		o.ContextTimeoutEnabled = true
		o.DisableIdentity = true
		// One dial attempt per call: the next query tries again anyway.
		o.DialerRetries = 1
		c.kind, c.addrs = "single", []string{o.Addr}
		c.rdb = redis.NewClient(o)
	case "redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster":
		u, err := parseMulti(cfg.URL)
		if err != nil {
			return nil, err
		}
		var tlsConf *tls.Config
		if strings.HasPrefix(scheme, "rediss") {
			host, _, _ := net.SplitHostPort(u.addrs[0])
			tlsConf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		c.addrs = u.addrs
		if strings.HasSuffix(scheme, "sentinel") {
			if u.master == "" {
				return nil, errors.New("REDIS_URL: a sentinel URL names the master after the addresses: redis+sentinel://host:26379,host:26380/mymaster[/db]")
			}
			o := &redis.FailoverOptions{
				MasterName: u.master, SentinelAddrs: u.addrs, Username: u.user, Password: u.password, DB: u.db,
				SentinelPassword: u.sentinelPassword, TLSConfig: tlsConf, ContextTimeoutEnabled: true, DisableIdentity: true,
			}
			c.tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries)
			c.kind = "sentinel"
			c.rdb = redis.NewFailoverClient(o)
		} else {
			if u.db != 0 || u.master != "" {
				return nil, errors.New("REDIS_URL: a cluster URL has no database number or path: redis+cluster://host:6379,host:6380")
			}
			o := &redis.ClusterOptions{
				Addrs: u.addrs, Username: u.user, Password: u.password, TLSConfig: tlsConf,
				ContextTimeoutEnabled: true, DisableIdentity: true, DialerRetries: 1,
			}
			c.tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries)
			c.kind = "cluster"
			c.rdb = redis.NewClusterClient(o)
		}
	default:
		return nil, errors.New("REDIS_URL must start with redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://")
	}
	return c, nil
}

// tune sets the pool's timeouts from the call timeout. Retries are off: a retry doubles what a
// dead Redis costs a query, and the next query tries again anyway.
func (c *Client) tune(dial, read, write, pool *time.Duration, retries *int) {
	*dial = max(c.timeout, 250*time.Millisecond)
	*read, *write, *pool = c.timeout, c.timeout, c.timeout
	*retries = -1
}

// urlError keeps the URL (and so its password) out of a parse error.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("REDIS_URL is not a valid URL: %v", ue.Err)
	}
	msg := err.Error()
	if strings.Contains(msg, "@") || strings.Contains(msg, "://") {
		return errors.New("REDIS_URL is not valid")
	}
	return fmt.Errorf("REDIS_URL: %s", strings.TrimPrefix(msg, "redis: "))
}

type multiURL struct {
	user, password, sentinelPassword string
	addrs                            []string
	master                           string
	db                               int
}

// parseMulti reads redis+sentinel:// and redis+cluster:// URLs, whose host part lists several
// comma-separated addresses (which net/url refuses).
func parseMulti(raw string) (multiURL, error) {
	var u multiURL
	_, rest, _ := strings.Cut(raw, "://")
	rest, query, _ := strings.Cut(rest, "?")
	hosts, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hosts, '@'); at >= 0 {
		info := hosts[:at]
		hosts = hosts[at+1:]
		user, pass, hasPass := strings.Cut(info, ":")
		var err1, err2 error
		u.user, err1 = url.PathUnescape(user)
		if hasPass {
			u.password, err2 = url.PathUnescape(pass)
		}
		if err1 != nil || err2 != nil {
			return u, errors.New("REDIS_URL: the user or password has a bad %-escape")
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(h); err != nil || port == "" {
			return u, fmt.Errorf("REDIS_URL: address %q needs host:port", h)
		}
		u.addrs = append(u.addrs, h)
	}
	if len(u.addrs) == 0 {
		return u, errors.New("REDIS_URL names no address")
	}
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	if len(parts) > 2 {
		return u, errors.New("REDIS_URL: the path is /master or /master/db")
	}
	if len(parts) > 0 {
		u.master = parts[0]
	}
	if len(parts) == 2 {
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 {
			return u, fmt.Errorf("REDIS_URL: database number %q is not a number", parts[1])
		}
		u.db = n
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return u, errors.New("REDIS_URL: bad query string")
	}
	for k := range q {
		if k != "sentinel_password" {
			return u, fmt.Errorf("REDIS_URL: unknown option %q (known: sentinel_password)", k)
		}
	}
	u.sentinelPassword = q.Get("sentinel_password")
	return u, nil
}

// String describes the client without credentials, for logs.
func (c *Client) String() string {
	return fmt.Sprintf("redis %s %s", c.kind, strings.Join(c.addrs, ","))
}

// Redis is the underlying client, for the rate limiter.
func (c *Client) Redis() redis.UniversalClient { return c.rdb }

// Prefix is the key prefix.
func (c *Client) Prefix() string { return c.prefix }

// Timeout is the per-call bound.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping checks that Redis answers, within the call timeout.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.rdb.Ping(ctx).Err()
}

// Get returns the entry under key.
func (c *Client) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, err := c.rdb.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// Set stores an entry for ttl.
func (c *Client) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.rdb.Set(ctx, c.prefix+key, value, ttl).Err()
}

// Purge deletes the cached results that read dataset ("" = all) with SCAN and UNLINK, on every
// master of a cluster. It is bounded by ctx, not the call timeout: it is an operator's command.
func (c *Client) Purge(ctx context.Context, dataset string) (int64, error) {
	pattern := escapeGlob(c.prefix) + "r:*"
	if dataset != "" {
		pattern += escapeGlob(engine.DatasetKeyPart(dataset)) + "*"
	}
	return c.deleteMatching(ctx, pattern)
}

// DeletePrefix deletes every key under the prefix (tests clean up with it).
func (c *Client) DeletePrefix(ctx context.Context) (int64, error) {
	return c.deleteMatching(ctx, escapeGlob(c.prefix)+"*")
}

func (c *Client) deleteMatching(ctx context.Context, pattern string) (int64, error) {
	var total int64
	scan := func(ctx context.Context, node redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, pattern, 500).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				n, err := unlink(ctx, node, keys, c.kind == "cluster")
				total += n
				if err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cl, ok := c.rdb.(*redis.ClusterClient); ok {
		err := cl.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scan(ctx, node) })
		return total, err
	}
	return total, scan(ctx, c.rdb)
}

// unlink deletes keys; on a cluster node one at a time, as they may hash to different slots.
func unlink(ctx context.Context, node redis.Cmdable, keys []string, cluster bool) (int64, error) {
	if !cluster {
		return node.Unlink(ctx, keys...).Result()
	}
	var n int64
	for _, k := range keys {
		d, err := node.Unlink(ctx, k).Result()
		n += d
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// escapeGlob quotes Redis MATCH pattern characters.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
