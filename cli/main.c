#include <stdio.h>

int
main(void)
{
	printf("rmcpsec %s\n", RMCPSEC_VERSION);
	return 0;
}
