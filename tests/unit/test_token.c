/* The configuration tokenizer. */
#include <errno.h>

#include "test.h"
#include "token.h"

static struct qvm_tokens tok(const char *text, int *r, struct qerr *e)
{
	struct qvm_tokens t = { 0 };
	*r = tokens_add_text(&t, text, strlen(text), "f.conf", "dir", e);
	return t;
}

TEST(words_lines_comments)
{
	struct qerr e;
	int r;
	struct qvm_tokens t = tok("system a # comment ram 1\n\nram 0,16M\n  # x\n\tcpu#a comment\n"
			"\"file#x\" b\"#\"c\n", &r, &e);
	CHECK(r == 0);
	CHECK(t.n == 7);
	if (t.n == 7) {
		CHECK_STR(t.v[0].text, "system");
		CHECK(t.v[0].line == 1);
		CHECK_STR(t.v[1].text, "a");
		CHECK_STR(t.v[2].text, "ram");
		CHECK(t.v[2].line == 3);
		CHECK_STR(t.v[3].text, "0,16M");
		CHECK_STR(t.v[4].text, "cpu");	/* a '#' anywhere outside quotes begins a comment */
		CHECK(t.v[4].line == 5);
		CHECK_STR(t.v[5].text, "file#x");	/* in quotes it is a '#' */
		CHECK_STR(t.v[6].text, "b#c");
		CHECK_STR(t.v[0].file, "f.conf");
		CHECK_STR(t.v[0].dir, "dir");
	}
	tokens_free(&t);
}

TEST(quoted)
{
	struct qerr e;
	int r;
	struct qvm_tokens t = tok("cmdline \"console=ttyS0 quiet # not a comment\"\n"
			"hostdev >\"a b\"  \"say \\\"hi\\\"\" \"\"\n\"multi\nline\" x", &r, &e);
	CHECK(r == 0);
	CHECK(t.n == 8);
	if (t.n == 8) {
		CHECK_STR(t.v[1].text, "console=ttyS0 quiet # not a comment");
		CHECK_STR(t.v[3].text, ">a b");
		CHECK_STR(t.v[4].text, "say \"hi\"");
		CHECK_STR(t.v[5].text, "");
		CHECK_STR(t.v[6].text, "multi\nline");
		CHECK(t.v[6].line == 3);
		CHECK_STR(t.v[7].text, "x");
		CHECK(t.v[7].line == 4);
	}
	tokens_free(&t);
}

TEST(unterminated)
{
	struct qerr e;
	int r;
	struct qvm_tokens t = tok("ram 1M\ncmdline \"oops\n\n", &r, &e);
	CHECK(r == -EINVAL);
	CHECK_STR(e.msg, "f.conf:2: unterminated string");
	tokens_free(&t);
}

TEST(args_and_files)
{
	struct qvm_tokens t = { 0 };
	struct qerr e;
	CHECK(tokens_add_arg(&t, "dryrun", 2) == 0);
	CHECK(tokens_add_arg(&t, "a b", 3) == 0);	/* an argument is one token as given */
	CHECK(t.n == 2 && strcmp(t.v[1].text, "a b") == 0 && t.v[1].line == 3);
	CHECK_STR(t.v[0].file, "command line");
	CHECK(t.v[0].dir == NULL);
	CHECK(tokens_add_file(&t, "/nonexistent/x.qvmconf", &e) == -ENOENT);
	CHECK_STR(e.msg, "/nonexistent/x.qvmconf: cannot read configuration file: No such file or directory");
	tokens_free(&t);
}

int main(void)
{
	RUN(words_lines_comments);
	RUN(quoted);
	RUN(unterminated);
	RUN(args_and_files);
	TEST_EXIT();
}
